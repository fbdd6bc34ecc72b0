/* What libggml4j's sources share without exporting it. */
#ifndef GGML4J_INTERNAL_H
#define GGML4J_INTERNAL_H

/* The RPC endpoints this process has connected to, comma-separated, or NULL when none (for the abort message). */
const char * ggml4j_rpc_connected(void);

#endif /* GGML4J_INTERNAL_H */
