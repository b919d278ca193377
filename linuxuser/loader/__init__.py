"""The ELF loader: reading programs, mapping them, the initial stack."""
