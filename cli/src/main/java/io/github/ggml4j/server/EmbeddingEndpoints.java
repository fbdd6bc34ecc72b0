package io.github.ggml4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.Pooling;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * {@code POST /v1/embeddings} (OpenAI's shape) and {@code POST /v1/rerank} (llama-server's, as Jina and Cohere
 * define it) over an encoder model. Concurrent requests share the engine's steps like completions do.
 */
final class EmbeddingEndpoints {

    /** OpenAI's own limit on the inputs of one request. */
    static final int MAX_INPUTS = 2048;

    private final Model model;
    private final ObjectMapper json;
    private final String modelId;

    EmbeddingEndpoints(Model model, ObjectMapper json, String modelId) {
        this.model = model;
        this.json = json;
        this.modelId = modelId;
    }

    /** Whether the model produces embeddings (an encoder); completions are refused for it. */
    boolean encoder() {
        return model.pooling().isPresent();
    }

    /** The answer to an embeddings request. */
    ObjectNode embeddings(JsonNode body) {
        Pooling p = model.pooling().orElseThrow(() -> notSupported("does not produce embeddings (it is a decoder, "
                + "which generates text)"));
        if (p == Pooling.RANK) {
            throw notSupported("is a reranker: use /v1/rerank");
        }
        if (p == Pooling.NONE) {
            throw notSupported("pools no outputs (pooling none): it has no sentence embeddings");
        }
        List<String> inputs = texts(body.path("input"), "input");
        String format = text(body, "encoding_format", "float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw ApiError.badRequest("encoding_format", "encoding_format must be float or base64, not '" + format + "'");
        }
        float[][] v = model.embed(inputs);
        JsonNode dims = body.path("dimensions");
        if (!dims.isMissingNode() && !dims.isNull() && (!dims.canConvertToInt() || dims.asInt() != v[0].length)) {
            throw ApiError.badRequest("dimensions", "this model's embeddings have " + v[0].length
                    + " dimensions; it cannot shorten them");
        }
        ObjectNode o = json.createObjectNode().put("object", "list");
        ArrayNode data = o.putArray("data");
        for (int i = 0; i < v.length; i++) {
            ObjectNode e = data.addObject().put("object", "embedding").put("index", i);
            if (format.equals("base64")) {
                ByteBuffer b = ByteBuffer.allocate(4 * v[i].length).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(v[i]);
                e.put("embedding", Base64.getEncoder().encodeToString(b.array()));
            } else {
                ArrayNode a = e.putArray("embedding");
                for (float x : v[i]) {
                    a.add(x);
                }
            }
        }
        o.put("model", modelId);
        usage(o, inputs);
        return o;
    }

    /** The answer to a rerank request: documents by descending relevance, at most {@code top_n}. */
    ObjectNode rerank(JsonNode body) {
        Pooling p = model.pooling().orElseThrow(() -> notSupported("is not a reranker (it is a decoder)"));
        if (p != Pooling.RANK) {
            throw notSupported("is not a reranker (pooling " + p.name().toLowerCase(Locale.ROOT)
                    + "): use /v1/embeddings");
        }
        JsonNode q = body.path("query");
        if (!q.isTextual()) {
            throw ApiError.badRequest("query", "query must be a string");
        }
        List<String> docs = texts(body.path("documents"), "documents");
        int topN = docs.size();
        JsonNode t = body.path("top_n");
        if (!t.isMissingNode() && !t.isNull()) {
            if (!t.canConvertToInt() || t.asInt() < 1) {
                throw ApiError.badRequest("top_n", "top_n must be a positive integer");
            }
            topN = Math.min(topN, t.asInt());
        }
        boolean returnDocs = body.path("return_documents").asBoolean(false);
        float[] scores = model.rank(q.asText(), docs);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < scores.length; i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingDouble((Integer i) -> scores[i]).reversed());
        ObjectNode o = json.createObjectNode().put("model", modelId).put("object", "list");
        ArrayNode results = o.putArray("results");
        for (int i : order.subList(0, topN)) {
            ObjectNode r = results.addObject().put("index", i).put("relevance_score", scores[i]);
            if (returnDocs) {
                r.putObject("document").put("text", docs.get(i));
            }
        }
        List<String> all = new ArrayList<>(docs);
        all.add(q.asText());
        usage(o, all);
        return o;
    }

    private void usage(ObjectNode o, List<String> texts) {
        long tokens = 0;
        for (String s : texts) {
            tokens += model.tokenizer().encode(s, true, true).length;
        }
        o.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
    }

    /** A string, or a non-empty array of at most {@link #MAX_INPUTS} strings. */
    private static List<String> texts(JsonNode n, String param) {
        List<String> out = new ArrayList<>();
        if (n.isTextual()) {
            out.add(n.asText());
        } else if (n.isArray() && !n.isEmpty()) {
            if (n.size() > MAX_INPUTS) {
                throw ApiError.badRequest(param, param + " has " + n.size() + " items; at most " + MAX_INPUTS
                        + " are accepted");
            }
            for (JsonNode e : n) {
                if (!e.isTextual()) {
                    throw ApiError.badRequest(param, param + " must be a string or an array of strings"
                            + (e.isNumber() || e.isArray() ? " (token-id inputs are not accepted; send text)" : ""));
                }
                out.add(e.asText());
            }
        } else {
            throw ApiError.badRequest(param, param + " must be a string or a non-empty array of strings");
        }
        return out;
    }

    private static String text(JsonNode body, String field, String fallback) {
        JsonNode n = body.path(field);
        if (n.isMissingNode() || n.isNull()) {
            return fallback;
        }
        if (!n.isTextual()) {
            throw ApiError.badRequest(field, field + " must be a string");
        }
        return n.asText();
    }

    private ApiError notSupported(String why) {
        return new ApiError(400, "invalid_request_error", "model_not_supported", "model",
                "the model '" + modelId + "' " + why);
    }
}
