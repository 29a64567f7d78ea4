// Tries to reach Python: refused by the security checks before it runs.
//! refused on purpose: MLSEC002 at 3:1
import os;
result = os.getcwd();
