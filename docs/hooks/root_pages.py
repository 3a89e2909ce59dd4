"""MkDocs hook: publish SECURITY.md and CHANGELOG.md from the repository root as pages.

The guides link to them as they sit in the repository (`../SECURITY.md` from
`docs/index.md`, `../../SECURITY.md` from `docs/api/auth.md`), so the links work when
the Markdown is read on a code host. In the site the same files are pages at the top
of the docs, one level up from where those links point: each such link loses one
`../` here. The files themselves stay at the root, where people and tools expect them.
"""
import re
from pathlib import Path

from mkdocs.structure.files import File

ROOT_PAGES = ("SECURITY.md", "CHANGELOG.md")
_LINK = re.compile(r"\]\(((?:\.\./)+)(" + "|".join(re.escape(name) for name in ROOT_PAGES) + r")")


def on_files(files, config):
    root = Path(config["config_file_path"]).parent
    for name in ROOT_PAGES:
        files.append(File.generated(config, name, abs_src_path=str(root / name)))
    return files


def on_page_markdown(markdown, page, config, files):
    depth = page.file.src_uri.count("/")  # 0 for docs/index.md, 1 for docs/api/auth.md

    def one_level_less(match):
        ups = match.group(1)
        if len(ups) // 3 != depth + 1:  # not a link out of docs/ to the root: leave it
            return match.group(0)
        return "](" + "../" * depth + match.group(2)

    return _LINK.sub(one_level_less, markdown)
