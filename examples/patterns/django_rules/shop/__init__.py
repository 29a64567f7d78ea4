"""The shop app: orders, validated and decided by rules written in ML."""
