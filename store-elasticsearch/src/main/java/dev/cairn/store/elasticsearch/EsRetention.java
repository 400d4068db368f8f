package dev.cairn.store.elasticsearch;

import co.elastic.clients.elasticsearch.cat.indices.IndicesRecord;
import dev.cairn.store.StoreException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;

/**
 * Retention: a Quartz job, at start and then hourly, deletes the store's daily indices whose whole
 * day is older than the retention age. Deleting a daily index is cheap for Elasticsearch (no
 * delete-by-query, no merges), which is why indices are daily. A trace that crosses midnight
 * loses its older day first.
 */
final class EsRetention implements AutoCloseable {
  private static final Logger LOG = LogManager.getLogger(EsRetention.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final Scheduler scheduler;
  final LongAdder deletedIndices = new LongAdder();

  EsRetention(EsClient client, EsIndices indices, Duration age) throws StoreException {
    java.util.Properties p = new java.util.Properties();
    p.setProperty("org.quartz.scheduler.instanceName",
        "cairn-es-retention-" + INSTANCES.incrementAndGet());
    p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
    p.setProperty("org.quartz.threadPool.class", "org.quartz.simpl.SimpleThreadPool");
    p.setProperty("org.quartz.threadPool.threadCount", "1");
    p.setProperty("org.quartz.threadPool.threadNamePrefix", "cairn-es-retention");
    p.setProperty("org.quartz.threadPool.makeThreadsDaemons", "true");
    p.setProperty("org.quartz.scheduler.makeSchedulerThreadDaemon", "true");
    p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
    try {
      scheduler = new StdSchedulerFactory(p).getScheduler();
      Job job = context -> {
        try {
          List<String> deleted = deleteOlderThan(client, indices, age);
          deletedIndices.add(deleted.size());
          if (!deleted.isEmpty()) {
            LOG.info("retention ({}) deleted {} indices: {}", age, deleted.size(), deleted);
          }
        } catch (StoreException e) {
          LOG.warn("retention run failed, the next one retries: {}", e.getMessage());
        }
      };
      // the job needs this store's client: hand Quartz the instance instead of a class to create
      scheduler.setJobFactory((bundle, s) -> job);
      scheduler.scheduleJob(
          JobBuilder.newJob(Job.class).withIdentity("retention", indices.prefix()).build(),
          TriggerBuilder.newTrigger().startNow()
              .withSchedule(SimpleScheduleBuilder.repeatHourlyForever()
                  .withMisfireHandlingInstructionNextWithRemainingCount())
              .build());
      scheduler.start();
    } catch (SchedulerException e) {
      throw new StoreException("cannot start the retention job: " + e.getMessage(), e);
    }
  }

  static List<String> deleteOlderThan(EsClient client, EsIndices indices, Duration age)
      throws StoreException {
    Instant cutoff = Instant.now().minus(age);
    List<IndicesRecord> all = client.call("listing indices", c -> c.cat().indices(i -> i
        .index(indices.prefix() + "-*"))).valueBody();
    List<String> old = new ArrayList<>();
    for (IndicesRecord r : all) {
      Optional<LocalDate> day = indices.dayOf(r.index());
      // an index holds a whole day: it goes when the day's last µs is older than the cutoff
      if (day.isPresent()
          && !day.get().plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().isAfter(cutoff)) {
        old.add(r.index());
      }
    }
    old.sort(null);
    if (!old.isEmpty()) {
      client.call("deleting old indices", c -> c.indices().delete(d -> d.index(old)
          .ignoreUnavailable(true)));
    }
    return old;
  }

  @Override
  public void close() {
    try {
      scheduler.shutdown(true);
    } catch (SchedulerException e) {
      LOG.warn("retention job did not stop cleanly: {}", e.getMessage());
    }
  }

}
