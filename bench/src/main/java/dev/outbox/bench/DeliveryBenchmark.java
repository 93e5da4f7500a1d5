package dev.outbox.bench;

import dev.outbox.delivery.SmtpDeliverer;
import dev.outbox.queue.Destination;
import dev.outbox.queue.NextHop;
import dev.outbox.queue.QueuePolicy;
import dev.outbox.routing.DnsServer;
import dev.outbox.routing.DnsSettings;
import dev.outbox.routing.MxResolver;
import dev.outbox.testing.dns.TestDns;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The delivery lane: how fast Outbox's queue engine drains a backlog over SMTP, beside Postfix
 * draining the same backlog and beside the machine's ceiling, with the CPU each spends a message.
 * The receiving servers are Postfix's {@link SmtpSinks} on loopback, so the figures are the
 * contenders', not a receiver's.
 *
 * <p>Each backlog ({@link DeliveryBacklog}: one destination or many, one recipient a message or
 * several) is drained by every contender ({@link Contender}): <b>Outbox</b> in this JVM
 * ({@link Drain}; to a smarthost for one destination, by MX through a {@link TestDns} for many,
 * and for one destination with one recipient also by MX, to compare routing with issue 16's
 * figures); <b>Postfix</b>, an instance of the lane's own ({@link PostfixInstance},
 * {@link PostfixDrain}), when this machine can run one; and the <b>ceiling</b>
 * ({@link Ceiling}). After one warm-up drain per contender, {@code --delivery-runs} rounds take
 * one drain of each, the contender that goes first moving on by one each round, so that all see
 * the same machine. {@link DeliveryTable} turns the drains into rows.
 *
 * <p>{@link #measure} adds the lane's lines above the table and its rows. Misuse and failures:
 * as the drains report them, as {@link IllegalStateException}.
 */
final class DeliveryBenchmark {

    /**
     * Outbox's own log, kept at warnings during the lane: each drain starts, recovers, pauses and
     * resumes an engine, six lines at INFO that would bury the progress lines. Held here, since
     * java.util.logging keeps its loggers only weakly.
     */
    private static final Logger OUTBOX_LOG = Logger.getLogger("dev.outbox");

    /** One drain of a backlog by a contender; {@code which} names it in progress lines and file names. */
    interface Drainer {
        DrainResult drain(String which) throws Exception;
    }

    /**
     * One way of draining a backlog.
     *
     * @param kind   whose figure it is, for the ratios
     * @param name   short, for progress lines and file names
     * @param figure the table's row name
     * @param drain  one drain
     */
    record Contender(Kind kind, String name, String figure, Drainer drain) {
    }

    /** Whose a contender's figure is: the ratios compare Outbox's first row with Postfix and the ceiling. */
    enum Kind {
        OUTBOX, POSTFIX, CEILING
    }

    /** Everything the lane's drains share. */
    private record Lane(BenchSettings settings, Scratch scratch, AdapterDefaults defaults, StoreLayout layout, SmtpSinks sinks,
                        TestDns dns, PostfixInstance postfix, SmtpSource source, Profile profile) {
    }

    private DeliveryBenchmark() {
    }

    static void measure(Report report, BenchSettings settings, Scratch scratch) throws Exception {
        List<DeliveryBacklog> backlogs = settings.deliveryBacklogs();
        AdapterDefaults defaults = AdapterDefaults.read(scratch.root());
        Set<String> addresses = new LinkedHashSet<>();
        Map<String, String> transports = new LinkedHashMap<>();
        for (DeliveryBacklog backlog : backlogs) {
            for (DeliveryBacklog.Site site : backlog.sites()) {
                addresses.add(site.address());
                if (backlog.destinations() > 1) {
                    transports.put(site.domain(), site.address());
                }
            }
        }
        Path programs = settings.postfixPrograms();
        String noPostfix = PostfixInstance.unavailable(programs);
        Path resultsDirectory = settings.results().toAbsolutePath().getParent();
        Profile profile = settings.profile() ? new Profile(resultsDirectory) : null;
        Level level = OUTBOX_LOG.getLevel();
        OUTBOX_LOG.setLevel(Level.WARNING);
        Path logs = Files.createDirectories(scratch.root().resolve("delivery-logs"));
        try (SmtpSinks sinks = SmtpSinks.start(settings.smtpSink(), addresses, logs);
             TestDns dns = TestDns.start();
             PostfixInstance postfix = noPostfix != null ? null : PostfixInstance.start(programs, new PostfixConfig(
                     scratch.root().resolve("postfix"), LoopbackPort.free(), sinks.port(), transports,
                     defaults.policy().connectionsPerDestination().defaultValue(), defaults.policy().maxConnections(),
                     PostfixConfig.DEBIAN_MAIL_OWNER, PostfixConfig.DEBIAN_SETGID_GROUP))) {
            for (DeliveryBacklog backlog : backlogs) {
                for (DeliveryBacklog.Site site : backlog.sites()) {
                    dns.mx(site.domain(), 10, site.mxHost()).a(site.mxHost(), site.address());
                }
            }
            Lane lane = new Lane(settings, scratch, defaults, StoreLayout.of(settings), sinks, dns, postfix,
                    new SmtpSource(programs.resolve("smtp-source"), logs.resolve("smtp-source.log")), profile);
            DeliveryTable table = new DeliveryTable(report, settings, defaults.policy());
            table.describe(sinks, postfix == null ? "not measured: " + noPostfix : postfix.describe());
            for (DeliveryBacklog backlog : backlogs) {
                if (profile != null) {
                    profile.variant(backlog.key());
                }
                Map<Contender, List<DrainResult>> drains = turns(backlog, contenders(lane, backlog), settings.deliveryRuns());
                table.backlog(backlog, drains, postfix == null ? noPostfix : null);
                if (profile != null) {
                    Path summary = profile.summarize(backlog.key(), backlog.title());
                    table.profile(backlog, summary);
                }
            }
            table.fills();
            table.others();
        } finally {
            OUTBOX_LOG.setLevel(level);
        }
    }

    /** One warm-up drain per contender, then the counted rounds, the first contender moving on by one each round. */
    private static Map<Contender, List<DrainResult>> turns(DeliveryBacklog backlog, List<Contender> contenders, int runs) throws Exception {
        Map<Contender, List<DrainResult>> drains = new LinkedHashMap<>();
        contenders.forEach(contender -> drains.put(contender, new ArrayList<>()));
        for (Contender contender : contenders) {
            Progress.say("delivery %s: warm-up drain, %s", backlog.key(), contender.name());
            report(backlog, contender, "warm-up", contender.drain().drain("warm-up"));
        }
        for (int round = 1; round <= runs; round++) {
            for (int i = 0; i < contenders.size(); i++) {
                Contender contender = contenders.get((round - 1 + i) % contenders.size());
                String which = "run " + round;
                drains.get(contender).add(report(backlog, contender, which, contender.drain().drain(which)));
            }
        }
        return drains;
    }

    private static DrainResult report(DeliveryBacklog backlog, Contender contender, String which, DrainResult result) {
        Progress.say("delivery %s: %s, %s: %,.0f messages/s (%,d in %.2f s, %d connections)", backlog.key(), contender.name(), which,
                result.perSecond(), result.messages(), Report.seconds(result.nanos()), result.sessions());
        return result;
    }

    /** Outbox (and Outbox by MX for one destination and one recipient), Postfix when it can run, and the ceiling. */
    private static List<Contender> contenders(Lane lane, DeliveryBacklog backlog) throws Exception {
        List<SampleMail> mails = new ArrayList<>();
        List<Path> contents = new ArrayList<>();
        Path messages = Files.createDirectories(lane.scratch().root().resolve("messages"));
        for (DeliveryBacklog.Site site : backlog.sites()) {
            SampleMail mail = SampleMail.ofSize(backlog.bytes(), backlog.recipientsAt(site));
            mails.add(mail);
            Path content = messages.resolve(backlog.key() + "-" + site.domain() + ".eml");
            SmtpSource.writeContent(mail, content);
            contents.add(content);
        }
        int port = lane.sinks().port();
        NextHop smarthost = new NextHop(backlog.sites().get(0).address(), port);
        Drainer byMx = which -> {
            int asked = lane.dns().queries();
            DrainResult result = outbox(lane, backlog, mails, "Outbox by MX", Destination::ofRecipient,
                    new SmtpDeliverer(lane.defaults().smtp(), new MxResolver(DnsSettings.defaults()
                            .withServers(List.of(DnsServer.parse(lane.dns().server())))), port), which);
            return result.withNote(String.format(Locale.ROOT, "%,d DNS questions", lane.dns().queries() - asked));
        };
        String mxFigure = backlog.destinations() == 1
                ? String.format("Outbox, by MX: %s MX 10 %s, A %s", DeliveryBacklog.DOMAIN, backlog.sites().get(0).mxHost(), smarthost.host())
                : String.format("Outbox, by MX: dK.%s MX 10 mxK.%1$s, A 127.0.1.K", DeliveryBacklog.DOMAIN);
        List<Contender> contenders = new ArrayList<>();
        if (backlog.destinations() == 1) {
            contenders.add(new Contender(Kind.OUTBOX, "Outbox smarthost", "Outbox, smarthost [" + smarthost.host() + "]",
                    which -> outbox(lane, backlog, mails, "Outbox smarthost", recipient -> Destination.smarthost(smarthost),
                            new SmtpDeliverer(lane.defaults().smtp()), which)));
            if (backlog.recipients() == 1) {
                contenders.add(new Contender(Kind.OUTBOX, "Outbox by MX", mxFigure, byMx));
            }
        } else {
            contenders.add(new Contender(Kind.OUTBOX, "Outbox by MX", mxFigure, byMx));
        }
        if (lane.postfix() != null) {
            String route = backlog.destinations() == 1 ? "relayhost [" + smarthost.host() + "]"
                    : "transport_maps dK." + DeliveryBacklog.DOMAIN + " smtp:[127.0.1.K]";
            contenders.add(new Contender(Kind.POSTFIX, "Postfix", "Postfix, " + route,
                    which -> PostfixDrain.run(lane.postfix(), lane.source(), backlog, contents, lane.settings().submitters(), lane.sinks())));
        }
        int sessions = sessions(backlog, lane.defaults().policy());
        contenders.add(new Contender(Kind.CEILING, "ceiling", "ceiling: smtp-source -s " + sessions + " -d into smtp-sink, no queue",
                which -> Ceiling.run(lane.source(), backlog, contents.get(0), sessions, lane.sinks())));
        return contenders;
    }

    private static DrainResult outbox(Lane lane, DeliveryBacklog backlog, List<SampleMail> mails, String name,
                                      Function<String, Destination> router, SmtpDeliverer deliverer, String which) throws Exception {
        Path directory = lane.scratch().fresh("delivery");
        try {
            Profile profile = which.startsWith("run") ? lane.profile() : null;
            return Drain.run(name, router, deliverer, lane.defaults(), lane.layout(), directory, backlog, mails,
                    lane.settings().submitters(), lane.sinks(), profile);
        } finally {
            lane.scratch().delete(directory);
        }
    }

    /** Connections the contenders may open at once: per destination, up to the engine's cap over all. */
    static int sessions(DeliveryBacklog backlog, QueuePolicy policy) {
        return Math.min(policy.maxConnections(), backlog.destinations() * policy.connectionsPerDestination().defaultValue());
    }
}
