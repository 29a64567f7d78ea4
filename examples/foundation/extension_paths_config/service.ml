// The carrier's service for a heavy parcel; needs vendor/ on MLPY_EXTENSION_PATHS.
import carrier;
import console;

console.log("B-04: " + carrier.service(2300));
