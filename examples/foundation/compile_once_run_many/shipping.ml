// The shipping cost of one parcel: a base rate by zone, plus a rate per started kilogram.
// The host passes `parcel` in; the program's value is the cost.
RATES = {domestic: {base: 4.5, per_kg: 0.8}, europe: {base: 9.0, per_kg: 1.6}};

function cost(parcel) {
    rate = RATES[parcel.zone];
    kilos = int(parcel.grams / 1000) + (parcel.grams % 1000 > 0 ? 1 : 0);
    return round(rate.base + rate.per_kg * kilos, 2);
}

result = cost(parcel);
