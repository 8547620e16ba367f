import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;

/**
 * How the JVM it runs on turns text and numbers into each other, for tests/reference/java_text.py.
 *
 * <p>Each input line is "<op> <hex>" and gets one output line:
 * <ul>
 * <li>"decode <bytes>": the UTF-16 code units (hex, 4 digits each) that an InputStreamReader(UTF_8) reads,
 *     as FileStreamSourceTask reads a file;
 * <li>"string <bytes>": the same for new String(bytes, UTF_8), as StringConverter reads a record;
 * <li>"double <64-bit pattern>": Double.toString of the double with these bits;
 * <li>"float <32-bit pattern>": Float.toString of the float with these bits;
 * <li>"print <UTF-16 code units, 4 digits each>": the bytes (hex) PrintStream(UTF_8).println writes for that
 *     string, as FileStreamSinkTask writes a line;
 * <li>"format <pattern as UTF-16 units> <millis>": SimpleDateFormat(pattern, Locale.US) in UTC, as the SMTs
 *     use it, formatting new Date(millis) (UTF-16 units of the text, or "ERR");
 * <li>"parse <pattern as UTF-16 units> <text as UTF-16 units>": the same parsing the text (millis or "ERR");
 * <li>"copy <keys> <puts> <removes>": the iteration order of new HashMap&lt;&gt;(m), m a new HashMap&lt;&gt;()
 *     of the keys, after the puts and removes (lists of UTF-16 units, comma-separated, "-" when empty);
 * <li>"sized <n> <keys>": the iteration order of new HashMap&lt;&gt;(n) after putting the keys.
 * </ul>
 */
public class JavaTextReference {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.US_ASCII);
        String line;
        while ((line = in.readLine()) != null) {
            int space = line.indexOf(' ');
            String op = space < 0 ? line : line.substring(0, space);
            String arg = space < 0 ? "" : line.substring(space + 1);
            switch (op) {
                case "decode":
                    out.println(decode(bytes(arg)));
                    break;
                case "string":
                    out.println(units(new String(bytes(arg), StandardCharsets.UTF_8)));
                    break;
                case "double":
                    out.println(Double.toString(Double.longBitsToDouble(Long.parseUnsignedLong(arg, 16))));
                    break;
                case "float":
                    out.println(Float.toString(Float.intBitsToFloat(Integer.parseUnsignedInt(arg, 16))));
                    break;
                case "print":
                    out.println(print(arg));
                    break;
                case "copy":
                case "sized":
                    out.println(mapOrder(op, arg.split(" ", -1)));
                    break;
                case "format":
                case "parse":
                    out.println(dateFormat(op, arg));
                    break;
                default:
                    out.println("ERR unknown op " + op);
            }
        }
        out.flush();
    }

    private static byte[] bytes(String hex) {
        byte[] data = new byte[hex.length() / 2];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return data;
    }

    private static String decode(byte[] data) throws Exception {
        Reader reader = new InputStreamReader(new ByteArrayInputStream(data), StandardCharsets.UTF_8);
        StringBuilder units = new StringBuilder();
        char[] buffer = new char[1024];
        int n;
        while ((n = reader.read(buffer)) > 0) {
            for (int i = 0; i < n; i++) {
                units.append(String.format("%04x", (int) buffer[i]));
            }
        }
        return units.toString();
    }

    private static String dateFormat(String op, String arg) {
        String[] parts = arg.split(" ", -1);
        try {
            java.text.SimpleDateFormat format = new java.text.SimpleDateFormat(text(parts[0]), java.util.Locale.US);
            format.setTimeZone(java.util.TimeZone.getTimeZone("UTC"));
            if (op.equals("format")) {
                return units(format.format(new java.util.Date(Long.parseLong(parts[1]))));
            }
            return Long.toString(format.parse(text(parts[1])).getTime());
        } catch (Exception e) {
            return "ERR";
        }
    }

    private static java.util.List<String> keys(String list) {
        java.util.List<String> keys = new java.util.ArrayList<>();
        if (!list.equals("-")) {
            for (String units : list.split(",", -1)) {
                keys.add(text(units));
            }
        }
        return keys;
    }

    private static String mapOrder(String op, String[] parts) {
        java.util.Map<String, Object> map;
        if (op.equals("copy")) {
            java.util.Map<String, Object> source = new java.util.HashMap<>();
            for (String key : keys(parts[0])) {
                source.put(key, 1);
            }
            map = new java.util.HashMap<>(source);
            for (String key : keys(parts[1])) {
                map.put(key, 2);
            }
            for (String key : keys(parts[2])) {
                map.remove(key);
            }
        } else {
            map = new java.util.HashMap<>(Integer.parseInt(parts[0]));
            for (String key : keys(parts[1])) {
                map.put(key, 1);
            }
        }
        StringBuilder order = new StringBuilder();
        for (String key : map.keySet()) {
            order.append(order.length() == 0 ? "" : ",").append(units(key));
        }
        return order.length() == 0 ? "-" : order.toString();
    }

    private static String text(String units) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i + 4 <= units.length(); i += 4) {
            text.append((char) Integer.parseInt(units.substring(i, i + 4), 16));
        }
        return text.toString();
    }

    private static String units(String text) {
        StringBuilder units = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            units.append(String.format("%04x", (int) text.charAt(i)));
        }
        return units.toString();
    }

    private static String print(String units) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i + 4 <= units.length(); i += 4) {
            text.append((char) Integer.parseInt(units.substring(i, i + 4), 16));
        }
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PrintStream stream = new PrintStream(sink, false, StandardCharsets.UTF_8);
        stream.println(text.toString());
        stream.flush();
        StringBuilder hex = new StringBuilder();
        for (byte b : sink.toByteArray()) {
            hex.append(String.format("%02x", b & 0xff));
        }
        return hex.toString();
    }
}
