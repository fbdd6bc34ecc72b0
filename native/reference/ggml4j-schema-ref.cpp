// JSON-Schema-to-grammar reference: converts schemas with llama.cpp's own converter (common/json-schema-to-grammar
// in the pinned tree) so ggml4j's converter can be compared with it byte for byte.
//
// Usage: ggml4j-schema-ref INPUT_JSON_FILE
//   INPUT_JSON_FILE is a JSON array of strings, each the text of one schema. For each one, in order, prints
//   "<status>\n<byte count>\n<bytes>" where status is "ok" (bytes: the grammar), "error" (the converter refused the
//   schema, bytes: its message), "json" (the text is not JSON) or "exception" (any other exception, bytes: what()).
//   Exit 0 after the last one, 2 on a usage or input error.
#include "json-schema-to-grammar.h"
#include "json.h"

#include <cstdio>
#include <exception>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

static void emit(const char * status, const std::string & bytes) {
    std::printf("%s\n%zu\n", status, bytes.size());
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
    std::fflush(stdout);  // a crash on a later schema keeps the answers before it
}

int main(int argc, char ** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s INPUT_JSON_FILE\n", argv[0]);
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    common_json texts;
    try {
        texts = common_json::parse(ss.str());
    } catch (const std::exception & e) {
        std::fprintf(stderr, "input is not JSON: %s\n", e.what());
        return 2;
    }
    for (size_t i = 0; i < texts.size(); i++) {
        std::string text = texts.at(i).get<std::string>();
        common_json schema;
        try {
            schema = common_json::parse(text);
        } catch (const std::exception & e) {
            emit("json", e.what());
            continue;
        }
        try {
            emit("ok", json_schema_to_grammar(schema, true));
        } catch (const std::invalid_argument & e) {
            emit("error", e.what());
        } catch (const std::exception & e) {
            emit("exception", e.what());
        }
    }
    std::fflush(stdout);
    return 0;
}
