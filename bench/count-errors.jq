# The pipeline a user would write by hand to count vendor errors without errscope:
#   rg -F -N -f literals.txt app.log | jq -R -r -f bench/count-errors.jq | sort | uniq -c
# It takes the span from the first '{' to the last '}' of each candidate line, parses it
# as JSON and classifies it by its keys, printing "vendor,code,status".
# Limits (what it misses, on purpose, as a quick hand-made tool would):
#  - only bare bodies and bodies after a text prefix with no '{' / '}' in the text around
#    them; bodies nested in a JSON log line, escaped in a string (including Docker "log"
#    wrappers and logfmt values), two on one line, pretty-printed or in Python repr are
#    not counted;
#  - Codat's code is the text before the first ':' of "error", else the trimmed text.
def code_of: (if test(":") then split(":")[0] else . end) | sub("^\\s+"; "") | sub("\\s+$"; "");
(capture("(?<j>\\{.*\\})").j | fromjson)? | objects
| if .version? == "v2_0_0" then "aplos,\(.exception.code),\(.status)"
  elif has("error_message") then "ozforensics,\(.error_code),"
  elif has("http_code") and .success == false then "synapse,\(.error_code),\(.http_code)"
  elif has("statusCode") and has("service") then "codat,\(.error | code_of),\(.statusCode)"
  elif has("code") and has("response") and .status != 200 then "ocrolus,\(.code),\(.status)"
  else empty end
