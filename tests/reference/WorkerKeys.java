import java.util.*;
import java.lang.reflect.*;
import org.apache.kafka.common.config.ConfigDef;
public class WorkerKeys {
    static ConfigDef def(String cls) throws Exception {
        Class<?> c = Class.forName(cls);
        for (String name : new String[]{"CONFIG", "configDef"}) {
            try { Field f = c.getDeclaredField(name); f.setAccessible(true); return (ConfigDef) f.get(null); } catch (NoSuchFieldException e) {}
            try { Method m = c.getDeclaredMethod(name); m.setAccessible(true); return (ConfigDef) m.invoke(null); } catch (NoSuchMethodException e) {}
        }
        for (Method m : c.getDeclaredMethods()) {
            if (m.getReturnType() == ConfigDef.class && Modifier.isStatic(m.getModifiers()) && m.getParameterCount() == 1) {
                m.setAccessible(true);
                Class<?> p = m.getParameterTypes()[0];
                Object arg = p.getField("SYSTEM").get(null);
                return (ConfigDef) m.invoke(null, arg);
            }
        }
        throw new RuntimeException("no ConfigDef in " + cls);
    }
    public static void main(String[] a) throws Exception {
        TreeSet<String> keys = new TreeSet<>();
        for (String cls : a) keys.addAll(def(cls).names());
        for (String k : keys) System.out.println(k);
    }
}
