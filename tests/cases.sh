# cases.sh: the data-driven conversation cases in tests/cases/ (see tests/cases.py for the format).
exec /usr/bin/python3 "$top_srcdir/tests/cases.py"
