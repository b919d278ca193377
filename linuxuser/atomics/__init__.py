"""Guest atomics and barriers on host atomics (issue #5).

Nothing here yet: with one guest thread, Unicorn's plain loads and stores are
exact.  This package will hold the compiled cmpxchg helper and its Python twin.
"""
