"""Size caps of the bank, in one place: every one is checked before anything is saved."""

MAX_TITLE = 200
MAX_STATEMENT = 100_000
MAX_TAGS = 20
MAX_TAG_LENGTH = 40
MAX_TESTS = 50
MAX_FILES_PER_LANGUAGE = 16
MAX_FILE_BYTES = 256 * 1024
# One case's stdin, and its expected output (or pattern).
MAX_CASE_BYTES = 256 * 1024
# Every case's stdin and expected output together: what one grading run carries.
MAX_IO_BYTES = 2 * 1024 * 1024
MIN_TIME_LIMIT_MS = 100
MAX_TIME_LIMIT_MS = 10_000
MAX_WEIGHT = 1000
MAX_TOLERANCE = 1e9
# File names the harness itself uses in a grading run.
RESERVED_PREFIX = "observer_"
