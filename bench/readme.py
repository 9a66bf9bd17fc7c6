"""Copy bench/results.md into the README's "Performance" section (between its markers)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- bench results: begin -->", "<!-- bench results: end -->"

readme = (ROOT / "README.md").read_text()
results = (ROOT / "bench" / "results.md").read_text().strip()
head, rest = readme.split(BEGIN)
_, tail = rest.split(END)
(ROOT / "README.md").write_text(f"{head}{BEGIN}\n{results}\n{END}{tail}")
