package io.github.pyconnectflow.apicurio;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import java.util.List;
import javax.enterprise.context.ApplicationScoped;
import javax.enterprise.inject.Produces;

/**
 * The list of dynamic config properties that the Quarkus extension apicurio-common-app-components-config-index
 * generates at build time; its deployment artifact is not on Maven Central, so the list is empty (no property of
 * the registry can be changed at run time, which the tests do not do).
 */
@ApplicationScoped
public class ConfigPropertyListProducer {
    @Produces
    @ApplicationScoped
    public DynamicConfigPropertyList dynamicConfigPropertyList() {
        return new DynamicConfigPropertyList(List.of());
    }
}
