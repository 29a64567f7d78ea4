// Symptom: MLImportError "module 'helpers' not found" when lib/ is not on the path.
import helpers;
result = helpers.vat(100);
