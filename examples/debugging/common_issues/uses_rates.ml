// Uses an extension module whose bridge file needs a Python package.
import rates;
result = rates.of("USD");
