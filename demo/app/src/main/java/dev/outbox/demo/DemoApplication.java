package dev.outbox.demo;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/** The demo's REST root: {@code /outbox-demo/api}. */
@ApplicationPath("/api")
public class DemoApplication extends Application {
}
