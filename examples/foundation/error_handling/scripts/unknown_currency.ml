// The host function fails (an unknown currency): the host sees an MLHostError whose
// cause is the Python exception.
result = amount * rate("XYZ");
