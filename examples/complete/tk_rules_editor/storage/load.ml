// Reads a rule file. Input: path. Granted file.read on the rules folder only.
import file;
result = file.read(path);
