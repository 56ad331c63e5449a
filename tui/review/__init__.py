"""Review rounds: comments and answers on documents and session diffs, sent as one message.

Plain Python (no textual), shared by the app and the `loupe review` command:

- `model`: what is stored (Round, Comment, Anchor) and the states they go through;
- `store`: the SQLite file (`reviews.sqlite` in the data folder), safe for several processes;
- `anchoring`: where a comment's quoted text is now, after the document was rewritten;
- `tracking`: each comment's status (open, addressed, orphaned, resolved) in a document;
- `questions`, `sections`: a design doc's open questions, a heading's section;
- `commenting`: making anchored comments on documents and diffs (and refusing stale ones);
- `render`: a submitted round as one markdown message;
- `owners`: which session wrote a document;
- `delivery`: submitting a round to a session (through its queue), a thread, or the clipboard;
- `viewed`: which hunks of a session's diff you have already looked at.
"""
