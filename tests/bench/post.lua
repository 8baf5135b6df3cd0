-- wrk script: POST /chat with the JSON body the agent expects.
-- wrk -t1 -c50 -d20s -s tests/bench/post.lua http://127.0.0.1:PORT/chat
wrk.method = "POST"
wrk.body = '{"message": "Hello! What can you help me with?", "model": "a"}'
wrk.headers["Content-Type"] = "application/json"
