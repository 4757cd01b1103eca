"""`voicetrainer serve`: practise in the browser.

app.py (routes and the access token), pages.py (what the pages show), phone.py (the
browser's microphone and speaker as the call's AudioSource and AudioSink), call_socket.py
(one spoken call over a WebSocket). Templates live with the others in templates/serve_*;
the page's script, worklet and style in static/, all served by the app itself.
"""
