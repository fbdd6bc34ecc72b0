package io.github.ggml4j.server;

/**
 * A request the server answers with an error status and an OpenAI-style error object. Internal control flow of
 * the server: always turned into a response, never thrown out of it (so not part of ggml4j's exception
 * hierarchy, which describes failures of the library).
 */
final class ApiError extends RuntimeException {

    final int status;
    final String type;
    final String code;
    final String param;

    ApiError(int status, String type, String code, String param, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
    }

    static ApiError badRequest(String param, String message) {
        return new ApiError(400, "invalid_request_error", param == null ? "invalid_request" : "invalid_value", param,
                message);
    }

    static ApiError of(int status, String type, String code, String message) {
        return new ApiError(status, type, code, null, message);
    }
}
