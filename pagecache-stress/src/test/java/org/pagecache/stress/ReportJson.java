package org.pagecache.stress;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reads a report back, strictly (one JSON value, no trailing text, no duplicate names), so that a test proves the
 * runner's report is well-formed JSON. Objects come back as maps, arrays as lists, integral numbers as
 * {@code Long}, others as {@code Double}.
 */
final class ReportJson {
    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(DeserializationFeature.USE_LONG_FOR_INTS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private ReportJson() {}

    static Object parse(String text) {
        try {
            return STRICT.readValue(text, Object.class);
        } catch (JsonProcessingException e) {
            throw new AssertionError("the report is not well-formed JSON: " + e.getOriginalMessage(), e);
        }
    }
}
