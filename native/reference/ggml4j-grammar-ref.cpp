// Grammar reference: llama.cpp's own grammar sampler (llama_sampler_init_grammar over a model's vocabulary, from
// the pinned tree's libllama) checks token sequences, and times its full-vocabulary filter, so that ggml4j's
// grammar engine can be compared with it.
//
// Usage:
//   ggml4j-grammar-ref check MODEL GRAMMAR_FILE TOKENS_FILE
//     TOKENS_FILE: one line per sequence, token ids separated by spaces (an empty line: the empty output).
//     Prints one line per sequence: "ok complete", "ok incomplete" (every token fits; whether end of
//     generation may follow), or "reject N" (the N-th token, 0-based, does not fit). Exit 0.
//   ggml4j-grammar-ref mask MODEL GRAMMAR_FILE TOKENS_FILE
//     For each sequence, before each token and after the last: the tokens the full-vocabulary filter lets
//     through, as "count hash" (hash: 64-bit FNV-1a style, h = (h ^ id) * 1099511628211 over the allowed ids in
//     ascending order, from 14695981039346656037), one line per step; a line "end" closes each sequence.
//   ggml4j-grammar-ref bench MODEL GRAMMAR_FILE TOKENS_FILE REPEATS
//     Along the first sequence of TOKENS_FILE, before each token: the full-vocabulary filter (llama_sampler_apply
//     on every token with fixed pseudo-random logits) and the one-token check, then accept. Repeats the walk
//     REPEATS times; prints "filter_us X" and "check_us Y": mean microseconds per token.
// Exit 1 when the grammar does not build, 2 on usage or I/O errors.
#include "llama.h"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

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

static std::vector<std::vector<llama_token>> read_sequences(const std::string & text) {
    std::vector<std::vector<llama_token>> seqs;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream ids(line);
        std::vector<llama_token> seq;
        long v;
        while (ids >> v) {
            seq.push_back((llama_token) v);
        }
        seqs.push_back(seq);
    }
    return seqs;
}

static bool fits(llama_sampler * g, llama_token t) {
    llama_token_data d = {t, 1.0f, 0.0f};
    llama_token_data_array a = {&d, 1, -1, false};
    llama_sampler_apply(g, &a);
    return d.logit != -INFINITY;
}

static void quiet(ggml_log_level, const char *, void *) {
}

int main(int argc, char ** argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: %s check|bench MODEL GRAMMAR_FILE TOKENS_FILE [REPEATS]\n", argv[0]);
        return 2;
    }
    const std::string mode = argv[1];
    std::string grammar;
    std::string tokens;
    if (!read_file(argv[3], grammar) || !read_file(argv[4], tokens)) {
        std::fprintf(stderr, "cannot read %s or %s\n", argv[3], argv[4]);
        return 2;
    }
    llama_log_set(quiet, nullptr);
    llama_backend_init();
    llama_model_params mp = llama_model_default_params();
    mp.vocab_only = true;
    llama_model * model = llama_model_load_from_file(argv[2], mp);
    if (model == nullptr) {
        std::fprintf(stderr, "cannot load %s\n", argv[2]);
        return 2;
    }
    const llama_vocab * vocab = llama_model_get_vocab(model);
    const int n_vocab = llama_vocab_n_tokens(vocab);
    const auto seqs = read_sequences(tokens);

    if (mode == "check") {
        for (const auto & seq : seqs) {
            llama_sampler * g = llama_sampler_init_grammar(vocab, grammar.c_str(), "root");
            if (g == nullptr) {
                std::fprintf(stderr, "grammar does not build\n");
                return 1;
            }
            size_t i = 0;
            for (; i < seq.size(); i++) {
                if (seq[i] < 0 || seq[i] >= n_vocab || !fits(g, seq[i])) {
                    break;
                }
                llama_sampler_accept(g, seq[i]);
            }
            if (i < seq.size()) {
                std::printf("reject %zu\n", i);
            } else {
                std::printf("ok %s\n", fits(g, llama_vocab_eos(vocab)) ? "complete" : "incomplete");
            }
            llama_sampler_free(g);
        }
    } else if (mode == "mask") {
        std::vector<llama_token_data> data(n_vocab);
        for (const auto & seq : seqs) {
            llama_sampler * g = llama_sampler_init_grammar(vocab, grammar.c_str(), "root");
            if (g == nullptr) {
                std::fprintf(stderr, "grammar does not build\n");
                return 1;
            }
            for (size_t i = 0; i <= seq.size(); i++) {
                for (int t = 0; t < n_vocab; t++) {
                    data[t] = {t, 0.0f, 0.0f};
                }
                llama_token_data_array a = {data.data(), (size_t) n_vocab, -1, false};
                llama_sampler_apply(g, &a);
                uint64_t h = 14695981039346656037ull;
                long count = 0;
                for (int t = 0; t < n_vocab; t++) {
                    if (data[t].logit != -INFINITY) {
                        h = (h ^ (uint64_t) t) * 1099511628211ull;
                        count++;
                    }
                }
                std::printf("%ld %llu\n", count, (unsigned long long) h);
                if (i < seq.size()) {
                    if (!fits(g, seq[i])) {
                        std::printf("reject %zu\n", i);
                        break;
                    }
                    llama_sampler_accept(g, seq[i]);
                }
            }
            std::printf("end\n");
            llama_sampler_free(g);
        }
    } else if (mode == "bench" && argc == 6 && !seqs.empty()) {
        const int repeats = std::atoi(argv[5]);
        std::vector<float> logits(n_vocab);
        uint32_t x = 12345;
        for (int i = 0; i < n_vocab; i++) {
            x = x * 1664525u + 1013904223u;
            logits[i] = (float) (x >> 8) / (float) (1u << 24) * 10.0f;
        }
        std::vector<llama_token_data> data(n_vocab);
        double filter_s = 0;
        double check_s = 0;
        long steps = 0;
        for (int r = 0; r < repeats; r++) {
            llama_sampler * g = llama_sampler_init_grammar(vocab, grammar.c_str(), "root");
            if (g == nullptr) {
                std::fprintf(stderr, "grammar does not build\n");
                return 1;
            }
            for (llama_token t : seqs[0]) {
                for (int i = 0; i < n_vocab; i++) {
                    data[i] = {i, logits[i], 0.0f};
                }
                llama_token_data_array a = {data.data(), (size_t) n_vocab, -1, false};
                auto t0 = std::chrono::steady_clock::now();
                llama_sampler_apply(g, &a);
                auto t1 = std::chrono::steady_clock::now();
                bool ok = fits(g, t);
                auto t2 = std::chrono::steady_clock::now();
                filter_s += std::chrono::duration<double>(t1 - t0).count();
                check_s += std::chrono::duration<double>(t2 - t1).count();
                steps++;
                if (!ok) {
                    std::fprintf(stderr, "token %d of the bench sequence does not fit\n", t);
                    return 1;
                }
                llama_sampler_accept(g, t);
            }
            llama_sampler_free(g);
        }
        std::printf("filter_us %.3f\ncheck_us %.3f\nsteps %ld\n", filter_s * 1e6 / steps, check_s * 1e6 / steps,
                    steps);
    } else {
        std::fprintf(stderr, "usage: %s check|bench MODEL GRAMMAR_FILE TOKENS_FILE [REPEATS]\n", argv[0]);
        return 2;
    }
    llama_model_free(model);
    return 0;
}
