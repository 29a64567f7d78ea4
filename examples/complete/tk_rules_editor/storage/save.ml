// Writes a rule file. Inputs: path, text. The editor grants file.write on its rules
// folder only, so a path outside it is refused by the capability check, not by Python.
// [save]
import file;
file.write(path, text);
// [/save]
