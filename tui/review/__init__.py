"""Review rounds: comments and answers on documents and session diffs, sent as one message.

Plain Python (no textual), shared by the app and the `loupe review` command:

- `model`: what is stored (Round, Comment, Anchor), placements and the states they go through;
- `store`, `schema`: the SQLite file (`reviews.sqlite` in the data folder), for several
  processes at once, with a change stamp to poll;
- `anchoring`, `edited`: where a comment's quoted text is after the document was rewritten;
- `tracking`: each comment's status (open, addressed, orphaned, resolved), per document;
- `questions`: a design doc's questions, with the lines an answer anchors to;
- `commenting`: making anchored comments on documents and diffs (refusing stale hunks);
- `render`: a submitted round as one markdown message;
- `owners`: which session wrote a document;
- `delivery`: submitting a round to a session (through its queue), a thread, a new session
  or the clipboard; settling queued rounds; retrying undelivered ones;
- `viewed`, `turns`: what of a session's diff you have already looked at;
- `cli`, `commands`, `listing`: `loupe review`.
"""
