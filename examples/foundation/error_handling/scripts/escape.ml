// Tries to reach Python: refused by the security checks before it runs.
import os;
result = os.getcwd();
