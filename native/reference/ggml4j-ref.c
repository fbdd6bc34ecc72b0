/*
 * ggml4j-ref: a small harness over llama.cpp's libllama, used by ggml4j's parity tests as the reference.
 *
 *   ggml4j-ref -m MODEL -p 1,2,3 [-n N] [-c CTX] [-b BATCH] [-t THREADS] [-ub UBATCH] [-fa 0|1] [--swa-full 0|1] [-ctk f16|f32] [--logits FILE]
 *
 * Evaluates the prompt token ids (an encoder-decoder model encodes them and starts its decoder from
 * decoder_start_token_id, as llama-simple does), writes the last position's logits (float32, native byte order) to FILE,
 * then generates N tokens greedily (argmax, ties to the lowest id) one at a time and prints
 *   n_vocab=V
 *   generated=id,id,...
 * on stdout. Generation stops early at an end-of-generation token, as llama-simple does.
 */
#include "llama.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void quiet_log(enum ggml_log_level level, const char * text, void * user_data) {
    (void) user_data;
    if (level >= GGML_LOG_LEVEL_ERROR) {
        fputs(text, stderr);
    }
}

static int parse_tokens(const char * s, llama_token ** out) {
    int cap = 16, n = 0;
    llama_token * toks = malloc(sizeof(llama_token) * cap);
    const char * p = s;
    while (*p) {
        char * end;
        long v = strtol(p, &end, 10);
        if (end == p) {
            free(toks);
            return -1;
        }
        if (n == cap) {
            cap *= 2;
            toks = realloc(toks, sizeof(llama_token) * cap);
        }
        toks[n++] = (llama_token) v;
        p = *end == ',' ? end + 1 : end;
    }
    *out = toks;
    return n;
}

static llama_token argmax(const float * logits, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) {
        if (logits[i] > logits[best]) {
            best = i;
        }
    }
    return best;
}

int main(int argc, char ** argv) {
    const char * model_path = NULL, * prompt = NULL, * logits_path = NULL;
    int n_predict = 0, n_ctx = 512, n_batch = 512, n_ubatch = 0, n_threads = 2, fa = 1, swa_full = 1, kv_f32 = 0;
    for (int i = 1; i < argc; i++) {
        const char * a = argv[i];
        const char * v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL) {
            fprintf(stderr, "missing value for %s\n", a);
            return 2;
        }
        if (!strcmp(a, "-m")) model_path = v;
        else if (!strcmp(a, "-p")) prompt = v;
        else if (!strcmp(a, "-n")) n_predict = atoi(v);
        else if (!strcmp(a, "-c")) n_ctx = atoi(v);
        else if (!strcmp(a, "-b")) n_batch = atoi(v);
        else if (!strcmp(a, "-t")) n_threads = atoi(v);
        else if (!strcmp(a, "-fa")) fa = atoi(v);
        else if (!strcmp(a, "-ub")) n_ubatch = atoi(v);
        else if (!strcmp(a, "--swa-full")) swa_full = atoi(v);
        else if (!strcmp(a, "-ctk")) kv_f32 = !strcmp(v, "f32");
        else if (!strcmp(a, "--logits")) logits_path = v;
        else {
            fprintf(stderr, "unknown argument %s\n", a);
            return 2;
        }
        i++;
    }
    if (model_path == NULL || prompt == NULL) {
        fprintf(stderr, "usage: %s -m MODEL -p IDS [-n N] [-c CTX] [-b BATCH] [-t THREADS] [-ub UBATCH] [-fa 0|1] [--swa-full 0|1] [-ctk f16|f32] [--logits FILE]\n", argv[0]);
        return 2;
    }
    llama_token * tokens = NULL;
    int n_prompt = parse_tokens(prompt, &tokens);
    if (n_prompt <= 0) {
        fprintf(stderr, "bad token list '%s'\n", prompt);
        return 2;
    }

    llama_log_set(quiet_log, NULL);
    llama_backend_init();

    struct llama_model_params mparams = llama_model_default_params();
    struct llama_model * model = llama_model_load_from_file(model_path, mparams);
    if (model == NULL) {
        fprintf(stderr, "failed to load %s\n", model_path);
        return 1;
    }
    const struct llama_vocab * vocab = llama_model_get_vocab(model);
    const int n_vocab = llama_vocab_n_tokens(vocab);

    struct llama_context_params cparams = llama_context_default_params();
    cparams.n_ctx = n_ctx;
    cparams.n_batch = n_batch;
    cparams.n_ubatch = n_ubatch > 0 ? n_ubatch : n_batch < 512 ? n_batch : 512;
    // the C API's default is a full-size cache for sliding-window layers; 0 keeps only the window (+ a ubatch)
    cparams.swa_full = swa_full != 0;
    if (kv_f32) {
        cparams.type_k = GGML_TYPE_F32;
        cparams.type_v = GGML_TYPE_F32;
    }
    cparams.n_threads = n_threads;
    cparams.n_threads_batch = n_threads;
    cparams.flash_attn_type = fa ? LLAMA_FLASH_ATTN_TYPE_ENABLED : LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cparams.no_perf = true;
    struct llama_context * ctx = llama_init_from_model(model, cparams);
    if (ctx == NULL) {
        fprintf(stderr, "failed to create a context\n");
        return 1;
    }

    if (llama_model_has_encoder(model)) {
        // an encoder-decoder (T5): the prompt goes through the encoder whole, the decoder starts from its start token
        if (llama_encode(ctx, llama_batch_get_one(tokens, n_prompt)) != 0) {
            fprintf(stderr, "llama_encode failed on the prompt\n");
            return 1;
        }
        llama_token start = llama_model_decoder_start_token(model);
        if (start == LLAMA_TOKEN_NULL) {
            start = llama_vocab_bos(vocab);
        }
        if (llama_decode(ctx, llama_batch_get_one(&start, 1)) != 0) {
            fprintf(stderr, "llama_decode failed on the decoder start token\n");
            return 1;
        }
    } else {
        for (int start = 0; start < n_prompt; start += n_batch) {
            int n = n_prompt - start < n_batch ? n_prompt - start : n_batch;
            if (llama_decode(ctx, llama_batch_get_one(tokens + start, n)) != 0) {
                fprintf(stderr, "llama_decode failed on the prompt\n");
                return 1;
            }
        }
    }
    const float * logits = llama_get_logits_ith(ctx, -1);
    if (logits_path != NULL) {
        FILE * f = fopen(logits_path, "wb");
        if (f == NULL || fwrite(logits, sizeof(float), n_vocab, f) != (size_t) n_vocab) {
            fprintf(stderr, "cannot write %s\n", logits_path);
            return 1;
        }
        fclose(f);
    }

    printf("n_vocab=%d\ngenerated=", n_vocab);
    for (int i = 0; i < n_predict; i++) {
        llama_token next = argmax(logits, n_vocab);
        printf(i == 0 ? "%d" : ",%d", next);
        if (llama_vocab_is_eog(vocab, next)) {
            break;
        }
        if (llama_decode(ctx, llama_batch_get_one(&next, 1)) != 0) {
            fprintf(stderr, "llama_decode failed while generating\n");
            return 1;
        }
        logits = llama_get_logits_ith(ctx, -1);
    }
    printf("\n");

    llama_free(ctx);
    llama_model_free(model);
    free(tokens);
    return 0;
}
