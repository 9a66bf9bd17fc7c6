"""Earlier forms of landed revision files: checksums the audit trail may hold, and why they changed.

A revision may be rewritten after databases ran it: when the schema it ends
in stays exactly the same (a test compares pg_dump of every revision's end
shape), e.g. to stop blocking writers, or when an earlier shipped wording is
still a supported history (b0002's). A database that ran the earlier form
recorded that form's sha256 in `luna_db_audit`; `status` and `check` must not
call that tampering. Each earlier form is listed here, once, with the commit
it was last shipped in and the reason for the rewrite. Any other difference
is still reported.

Listed: every form since the audit trail began recording checksums
(commit a678c59). Add a line whenever a landed revision file changes (`git show
<commit>:<path> | sha256sum`, CRLF normalised as db.audit.file_checksum does).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from ..db.audit import file_checksum


@dataclass(frozen=True)
class EarlierForm:
    revision: str
    checksum: str  # sha256 of the earlier file
    commit: str    # the commit whose tree last held that form
    reason: str    # what changed, and that the end schema did not


_ORACLE_EMPTY_STRING = "Oracle: EmptyString for NOT NULL DEFAULT '' columns; PostgreSQL SQL unchanged"
_LINT = "downgrade without blocking (NOT VALID + VALIDATE, DROP INDEX CONCURRENTLY); same end schema"
_LAYOUT = "imports moved to luna_db_tools.runtime; same SQL"
_S0003 = ("the restart rows were filled in the transaction that created the foreign keys to stream, "
          "so writers of stream waited for the whole fill; now a short catalog step, then batches; "
          "same end schema")
_CATALOG_ONLY = ("catalog-only steps given a short lock timeout (SET LOCAL lock_timeout, retried from a savepoint); "
                 "same end schema")
_S0004 = ("CHECK swaps in a catalog step of their own with a short lock timeout, the downgrade's "
          "UPDATE in batches; same end schema")
_FAST_BATCHES = ("the fill's batches run without ON CONFLICT until another session's row is met ({on_conflict}); "
                 "same end schema, same offline script")
_CATCH_UP = ("a catch-up after the fill's batches gives their restart row to the streams the keyset passed "
             "(inserted behind it by the running release, or below a killed run's gap); same end schema")
# Earlier shipped wordings of b0002 whose end schema differs: a database that ran one is a
# supported history (its downgrade writes placeholders), not a tampered file.
_COMMENTS = "comments (no issue numbers) and imports (luna_db_tools.operations) only; same SQL"
_OPERATIONS = "imports moved to luna_db_tools.operations; same SQL"
_B0002_EMPTY_PLACEHOLDER = "its downgrade wrote '' as the placeholder password (NULL on Oracle)"
_ACCEPT_RUNNING_RELEASE = "accept comments for breaks-running-release only; same SQL"
_B0002_NOTHING_KEPT = ("dropped the credentials without keeping them; "
                       "the database has no account_credentials_tmp and a downgrade writes placeholders")

EARLIER_FORMS: tuple[EarlierForm, ...] = (
    EarlierForm("s0001", "b1fff695c54965ac06891183d29470d72a89cc61d8cb093d1cf68e7002879fec", "0c3bf33", _ORACLE_EMPTY_STRING),
    EarlierForm("s0002", "a9e57c42587442a8c022c59dab64f08ec6a63e5ddbdc1868ae8d0321c10be823", "0c3bf33", _ORACLE_EMPTY_STRING),
    EarlierForm("s0002", "6b1ff87fda53e9cc034fd94ace64095be79b522eec73e4ab68c988ca7ceb3f74", "d5f166e", _CATALOG_ONLY),
    EarlierForm("s0003", "3c637621aac8947a675753e97409784f37ea18e19b6cee64146217c97b4c7d94", "0c3bf33", _ORACLE_EMPTY_STRING),
    EarlierForm("s0003", "eeea970b67ceeb68cf11b7d35db1b2c178c471499cc770a465326d317a5e8df5", "d5f166e", _S0003),
    EarlierForm("s0004", "cc76c31eabf52f1ea5352e6e66ba3efe19edf74767415e984fb950b9753fcc84", "0b1d74c", _LINT),
    EarlierForm("s0004", "f918a7f628342d674efa2e938553618de64613adacd589bbc868a3b9068b0e66", "1650266", _LAYOUT),
    EarlierForm("s0004", "9210c35b7b6836ac8381d9beb83582eea76cdec4780fba0952b55fa5d8ebc2bd", "9a371ea", _LINT),
    EarlierForm("s0004", "99d906a3cca137541b20df2e2d542bba2a0e9328252ae9fecbe88b1fc3ba592d", "d5f166e", _S0004),
    EarlierForm("s0005", "6041728a5a1a9522e98cdfab82e6b05399849c39c38def3e1baf24c29614f2b5", "0b1d74c", _LINT),
    EarlierForm("s0005", "1ccc71be25431430e7801f861350450712abf1732a086bb0ec7fb74baac930d5", "1650266", _LAYOUT),
    EarlierForm("s0005", "f3f8e0344b5f5098fb20d7cd34c8afc7ac098715cda896f577c8023dbbca62cc", "9a371ea", _LINT),
    EarlierForm("b0001", "3117fed23b9dbe0b94090ba465a8929549e1b511af2c7f8947e90e96fe66cafe", "aa2b973", _ORACLE_EMPTY_STRING),
    EarlierForm("b0003", "0a0f3feb7dacdd23e19047fac0c5ce8df6174d99c52c719c6038f58405df989b", "0b1d74c", _LINT),
    EarlierForm("b0002", "f074639425873991ff6dc152790237a7e5230ed5df33c5fa538a8a6d21e9e1ce", "d5f166e", _CATALOG_ONLY),
    EarlierForm("b0003", "e004b68f12dedc522bb9f5abce8aeb030c0026b8235a781e756b7a7695b0f9f0", "1650266", _LAYOUT),
    EarlierForm("b0003", "7d2fc4495ab7539b9e7ad66ba7e52215d72b488bee2e8a4af9b740ee4727e44e", "9a371ea", _LINT),
    EarlierForm("b0002", "74c548b1cc9c697b75338a686b7e627a356719d588a566997fcac139c05b02b5", "c4423ca", _CATALOG_ONLY),
    EarlierForm("b0004", "4942eac6e6ee4663d26fb48d94a17c6046c16456e2dc0831ed9994ee5e3687ea", "c4423ca", _CATALOG_ONLY),
    EarlierForm("b0002", "36590e43ec0f8c9a696fabdff250442fc2f1a3cd146e7c86ab4d0f4a84372229", "399205d", _B0002_EMPTY_PLACEHOLDER),
    EarlierForm("b0002", "0d60d6e48c459c967da1dd39e10f41032f7a52f68be0e9991bcf79e3bbd60217", "503fa33", _B0002_NOTHING_KEPT),
    EarlierForm("b0002", "b1ae30b12318a6f89cfa9c956173d0693c1bcb52d97f3b31d8bdbd54d173e155", "708266e", _COMMENTS),
    EarlierForm("b0004", "2bc2162189f96a179e813863c0f973fa306388b74c039798d83858067f2e00df", "708266e", _COMMENTS),
    EarlierForm("b0002", "0a5c0edba5f3799f03daf9ea7c3ad568a6190ebd39d897dccbf3bd513e065c55", "f392f82", _ACCEPT_RUNNING_RELEASE),
    EarlierForm("s0002", "a6c2b35b434fc42a230e9d294b75af2db8cfa83249802fcea3df70e5bb9c867b", "708266e", _OPERATIONS),
    EarlierForm("s0003", "700639c0fdeca6424a4349ae3278fc5a3a17e0ff1826b6bbe6d4f16a67e4ac4d", "708266e", _OPERATIONS),
    EarlierForm("s0004", "203e4288d02adf14fd5da9b28fd7dfc7edcf6c80da8bbc394fe1a6177c26a876", "708266e", _OPERATIONS),
    EarlierForm("s0005", "1e9b23c666320f422647457d2ada2c1871f6c53633b8910cb25033ae95b56a53", "708266e", _OPERATIONS),
    EarlierForm("s0003", "8b7a9a9e30941f4ac3d7943bfbf085a7d36a3a1646f876f88835ffdf1fca0e42", "f392f82", _FAST_BATCHES),
    EarlierForm("b0003", "389a0791cf8daa49639aa5542d484f4e0f5eb8b471beb9fb5fc963903a17ee93", "708266e", _OPERATIONS),
    EarlierForm("s0003", "0a23934ba09d57f312ecb1b4dbb87d8fda87aaad342faa22870c190c0ae82e84", "4db5428", _CATCH_UP),
)

_BY_KEY = {(form.revision, form.checksum): form for form in EARLIER_FORMS}


def earlier_form(revision: str, checksum: str) -> EarlierForm | None:
    """The known earlier form of `revision` whose file had `checksum`, if there is one."""
    return _BY_KEY.get((revision, checksum))


def changed_revisions(rows: list[dict], paths: Mapping[str, str | Path], applied: list[str]) -> list[dict]:
    """Every applied revision whose file (`paths`: revision -> its file) differs from the checksum
    recorded when it was last applied."""
    latest_up: dict[str, str] = {}
    for row in rows:
        if row["direction"] == "up" and row["checksum"]:
            latest_up[row["revision"]] = row["checksum"]
    changed = []
    for revision in applied:
        recorded = latest_up.get(revision)
        if recorded is None:
            continue
        current = file_checksum(paths[revision])
        if current != recorded:
            changed.append({"revision": revision, "recorded": recorded, "current": current})
    return changed


def checksum_mismatches(rows: list[dict], paths: Mapping[str, str | Path], applied: list[str]) -> list[dict]:
    """Applied revisions whose file differs from the checksum recorded when applied, and whose
    recorded checksum is no known earlier form (those are listed by `rewritten_revisions`)."""
    return [change for change in changed_revisions(rows, paths, applied)
            if earlier_form(change["revision"], change["recorded"]) is None]


def rewritten_revisions(rows: list[dict], paths: Mapping[str, str | Path], applied: list[str]) -> list[dict]:
    """Applied revisions that ran in a known earlier form: revision, recorded, current, commit, reason."""
    explained = []
    for change in changed_revisions(rows, paths, applied):
        form = earlier_form(change["revision"], change["recorded"])
        if form is not None:
            explained.append({**change, "commit": form.commit, "reason": form.reason})
    return explained
