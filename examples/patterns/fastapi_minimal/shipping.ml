// The shipping cost of a parcel, in EUR. The host calls shipping_cost(parcel) with
// parcel = {country: "DE" | "FR" | ..., weight_kg: number}.

function shipping_cost(parcel) {
    if (parcel.weight_kg <= 0) {
        throw {message: "the weight must be positive"};
    }
    base = parcel.country == "DE" ? 4.90 : 12.50;
    extra = parcel.weight_kg > 2 ? (parcel.weight_kg - 2) * 1.20 : 0;
    return round(base + extra, 2);
}
