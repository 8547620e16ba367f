import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Values;
import org.apache.kafka.connect.json.JsonConverter;

/**
 * Kafka Connect's own JsonConverter, one case per input line, for tests/reference/jackson.py.
 *
 * <p>Each line is a JSON object: {"data": "<bytes as text>", "read": {converter config}, "write": {converter
 * config}, "key": false}. The data is read with a JsonConverter configured with "read" (toConnectData) and
 * the result written with one configured with "write" (fromConnectData), as a Kafka Connect worker does
 * with a record it reads and writes again. Strings in the input may hold any UTF-16 code unit, lone
 * surrogates included, through JSON's backslash-u escapes. Instead of "data" and "read", a case may give
 * "units" (UTF-16 code units of a string s) and "shape" (see built()): a value built in Java, for strings
 * Jackson cannot read as field names; or "header" (a literal): InsertHeader's value for it, written by the
 * converter as a header (fromConnectHeader). Each case prints one line: "OK " and the written bytes in base64,
 * "NULL" for null bytes, or "ERR " and the exception.
 */
public class JsonConverterReference {
    public static void main(String[] args) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode request = mapper.readTree(line);
            boolean isKey = request.path("key").asBoolean(false);
            try {
                JsonConverter writer = converter(request.path("write"), isKey);
                SchemaAndValue value;
                if (request.has("header")) {
                    // InsertHeader's header: the literal read by Values.parseString, then the header converter
                    SchemaAndValue parsed = Values.parseString(request.get("header").textValue());
                    byte[] written = writer.fromConnectHeader("topic", "h", parsed.schema(), parsed.value());
                    out.println(written == null ? "NULL" : "OK " + Base64.getEncoder().encodeToString(written));
                    continue;
                }
                if (request.has("units")) {
                    value = built(request.get("shape").textValue(), units(request.get("units")));
                } else {
                    JsonConverter reader = converter(request.path("read"), isKey);
                    byte[] data = request.get("data").textValue().getBytes(StandardCharsets.UTF_8);
                    value = reader.toConnectData("topic", data);
                }
                byte[] written = writer.fromConnectData("topic", value.schema(), value.value());
                out.println(written == null ? "NULL" : "OK " + Base64.getEncoder().encodeToString(written));
            } catch (Exception e) {
                out.println("ERR " + (e.getClass().getName() + ": " + e.getMessage()).replace('\n', ' '));
            }
        }
        out.flush();
    }

    /** A string of the given UTF-16 code units (lone surrogates allowed, unlike in JSON field names). */
    private static String units(JsonNode units) {
        StringBuilder text = new StringBuilder();
        for (JsonNode unit : units) {
            text.append((char) unit.intValue());
        }
        return text.toString();
    }

    /** A value holding s everywhere a string can be: "string", "map" (key and value), "struct" (all names). */
    private static SchemaAndValue built(String shape, String s) {
        switch (shape) {
            case "string":
                return new SchemaAndValue(Schema.STRING_SCHEMA, s);
            case "map":
                Map<String, Object> map = new HashMap<>();
                map.put(s, List.of(s));
                return new SchemaAndValue(null, map);
            case "struct":
                Schema schema = SchemaBuilder.struct().name(s).doc(s).parameter(s, s)
                        .field(s, SchemaBuilder.string().defaultValue(s).build()).build();
                return new SchemaAndValue(schema, new Struct(schema).put(s, s));
            default:
                throw new IllegalArgumentException("unknown shape " + shape);
        }
    }

    private static JsonConverter converter(JsonNode config, boolean isKey) {
        Map<String, Object> settings = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = config.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            settings.put(entry.getKey(), entry.getValue().asText());
        }
        JsonConverter converter = new JsonConverter();
        converter.configure(settings, isKey);
        return converter;
    }
}
