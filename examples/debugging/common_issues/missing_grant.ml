// Symptom: CapabilityError "console.log requires the capability 'console.write'".
import console;
console.log("nightly report:", len(orders), "orders");
