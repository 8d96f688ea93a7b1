package dev.engram.core.spi;

/** Providers for discovery tests; they are found, never asked to create a backend. */
public final class TestProviders {

    private TestProviders() {
    }

    private abstract static class Named implements BackendProvider {

        private final String name;

        Named(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Backend create(BackendContext context) {
            throw new UnsupportedOperationException("test provider " + name + " creates nothing");
        }
    }

    /** Registered for the whole test class path. */
    public static final class A extends Named {
        public A() {
            super("test-a");
        }
    }

    /** Registered for the whole test class path. */
    public static final class B extends Named {
        public B() {
            super("test-b");
        }
    }

    /** Only behind an isolated class loader: the real {@code local} provider would clash with it on the class path. */
    public static final class Local extends Named {
        public Local() {
            super("local");
        }
    }

    /** Only behind an isolated class loader: a second provider named {@code test-a}. */
    public static final class OtherA extends Named {
        public OtherA() {
            super("test-a");
        }
    }

    /** Only behind an isolated class loader: a provider without a name. */
    public static final class Blank extends Named {
        public Blank() {
            super(" ");
        }
    }

    /** Only behind an isolated class loader: a provider that cannot be instantiated. */
    public static final class Broken extends Named {
        public Broken() {
            super("broken");
            throw new IllegalStateException("missing driver");
        }
    }
}
