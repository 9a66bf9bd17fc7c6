"""`make fuzz`: a wide hypothesis run over DSNs that hold a password.

The suite's property tests are derandomized (reproducible CI); this explores
fresh examples each time. A failed parse must never show the password.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from luna_db_tools.config.dsn import parse_dsn
from luna_db_tools.errors import DsnError

PASSWORD = st.from_regex(r"[A-Za-z0-9]{8,16}", fullmatch=True)
NOISE = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
DSN_PUNCTUATION = st.text(alphabet="abc:@?/&=[],.%1x", max_size=20)


@given(password=PASSWORD, before=NOISE | DSN_PUNCTUATION, after=NOISE | DSN_PUNCTUATION)
@settings(max_examples=20000, deadline=None, database=None)
def failed_parses_never_show_the_password(password, before, after):
    if password in before + after:
        return
    try:
        parse_dsn(f"{before}luna:{password}@{after}")
    except DsnError as error:
        assert password not in str(error), str(error)


if __name__ == "__main__":
    failed_parses_never_show_the_password()
    print("20000 DSNs: no password in any error message")
