"""Writing a section together live: a shared Yjs text over a WebSocket.

``protocol`` reads and writes the y-websocket messages, ``services`` keeps
the update log in the database and cuts revisions from it, ``rooms`` holds
one open section per process and ``consumer`` is the Channels consumer
that checks who may read and write.
"""
