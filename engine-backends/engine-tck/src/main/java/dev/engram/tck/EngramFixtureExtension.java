package dev.engram.tck;

import java.time.Duration;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import reactor.test.StepVerifier;

/** Gives each kit test an {@link EngramFixture} on fresh storage from {@link EngramKit#backend()}, and closes it after. */
final class EngramFixtureExtension implements ParameterResolver, AfterEachCallback, BeforeAllCallback {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(EngramFixtureExtension.class);
    private static final String KEY = "fixture";

    @Override
    public void beforeAll(ExtensionContext context) {
        // a backend that never answers fails the step instead of hanging the build
        StepVerifier.setDefaultTimeout(Duration.ofSeconds(30));
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == EngramFixture.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Object instance = context.getRequiredTestInstance();
        if (!(instance instanceof EngramKit kit)) {
            throw new ParameterResolutionException(instance.getClass().getName() + " does not implement " + EngramKit.class.getName());
        }
        EngramFixture fixture;
        try {
            boolean shared = context.getRequiredTestMethod().getDeclaringClass() == SharedStorageKit.class;
            fixture = new EngramFixture(kit.backend().newStorage(), shared);
        } catch (Exception e) {
            throw new ParameterResolutionException("the backend under test could not allocate storage: " + e, e);
        }
        context.getStore(NAMESPACE).put(KEY, fixture);
        return fixture;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        EngramFixture fixture = context.getStore(NAMESPACE).remove(KEY, EngramFixture.class);
        if (fixture != null) {
            fixture.close();
        }
    }
}
