# Renders markdown documents as GitHub does (cmark-gfm, GitHub's own fork, with
# its extensions, raw HTML kept so that any that got through shows) and says what
# each holds: its elements, link targets, HTML comments, and the text outside code.
# Reads a JSON list of documents on stdin, writes a JSON list of findings.
import json
import sys
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options


class Finder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.hrefs, self.comments, self.text, self.code = [], [], [], [], 0

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.hrefs += [v for k, v in attrs if k in ("href", "src")]
        if tag in ("code", "pre"):
            self.code += 1

    def handle_endtag(self, tag):
        if tag in ("code", "pre"):
            self.code -= 1

    def handle_comment(self, data):
        self.comments.append(data)

    def handle_data(self, data):
        if self.code == 0:
            self.text.append(data)


out = []
for doc in json.load(sys.stdin):
    html = cmarkgfm.github_flavored_markdown_to_html(doc, options=Options.CMARK_OPT_UNSAFE)
    f = Finder()
    f.feed(html)
    out.append({"html": html, "tags": f.tags, "hrefs": f.hrefs, "comments": f.comments, "text": "".join(f.text)})
json.dump(out, sys.stdout)
