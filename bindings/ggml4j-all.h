/* The headers jextract reads for ggml4j's bindings (see regenerate.sh and the allowlist symbols.txt). */
#include "ggml.h"
#include "ggml-alloc.h"
#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "gguf.h"
#include "ggml-opt.h"
#include "ggml4j.h"
