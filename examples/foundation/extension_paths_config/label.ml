// Print a shipping label line for each parcel; the units module comes from plugins/.
import units;
import console;

parcels = [{id: "A-17", grams: 800}, {id: "B-04", grams: 2300}];
for (parcel in parcels) {
    console.log(parcel.id + ": " + units.kilograms(parcel.grams) + " / "
                + units.pounds(parcel.grams));
}
