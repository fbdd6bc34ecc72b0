// Chat-template reference: renders a Jinja chat template with llama.cpp's own template engine (common/jinja in
// the pinned tree) so ggml4j's renderer can be compared with it byte for byte.
//
// Usage: ggml4j-chat-ref TEMPLATE_FILE INPUT_JSON_FILE
//   INPUT_JSON_FILE is an object: {"messages": [...], "bos_token": "...", "eos_token": "...",
//   "add_generation_prompt": true|false, ...}; every key becomes a template global, as llama.cpp's chat code
//   passes them. Prints the rendered text on stdout; exit 1 on a template error (message on stderr), 2 on usage.
#include "json.h"
#include "jinja/lexer.h"
#include "jinja/parser.h"
#include "jinja/runtime.h"
#include "jinja/value.h"

#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

static bool read_file(const char * path, std::string & out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return false;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return true;
}

int main(int argc, char ** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s TEMPLATE_FILE INPUT_JSON_FILE\n", argv[0]);
        return 2;
    }
    std::string source;
    std::string input;
    if (!read_file(argv[1], source) || !read_file(argv[2], input)) {
        std::fprintf(stderr, "cannot read %s or %s\n", argv[1], argv[2]);
        return 2;
    }
    try {
        common_json globals = common_json::parse(input);
        jinja::lexer lexer;
        auto tokens = lexer.tokenize(source);
        jinja::program program = jinja::parse_from_tokens(tokens);
        jinja::context ctx(source);
        jinja::global_from_json(ctx, globals, false);
        jinja::runtime runtime(ctx);
        const jinja::value result = runtime.execute(program);
        auto parts = jinja::runtime::gather_string_parts(result);
        const std::string text = parts->as_string().str();
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        return 0;
    } catch (const std::exception & e) {
        std::fprintf(stderr, "template error: %s\n", e.what());
        return 1;
    }
}
