"""Card-issuing providers behind one protocol; the built-in sandbox is the default."""
