// The discount of a basket, in percent. The host calls discount(basket) with
// basket = {total: number, loyalty_years: number}.

function discount(basket) {
    if (basket.total < 0) {
        throw {message: "a basket cannot cost less than nothing"};
    }
    percent = basket.loyalty_years >= 3 ? 5 : 0;
    if (basket.total >= 200) {
        percent = percent + 10;
    }
    return percent;
}
