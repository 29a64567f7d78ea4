// Prices one gold basket: the file to open under `mlpy debug` or VS Code.
import pricing;

basket = {tier: "gold", items: [{price: 20, qty: 2}, {price: 5, qty: 4}]};
total = pricing.price(basket);
print("gold basket:", total);
