// One value of 200 million characters: refused by the size limit, which is always on.
text = "ab" * 100000000;
