package dev.cairn.puller;

import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobExecutionContext;
import org.quartz.JobExecutionException;
import org.quartz.SchedulerException;

/**
 * The Quartz job of one host: one bounded pull run ({@link Puller#pullRun}). Never two runs of the
 * same host at once; a run that finds the host in back-off returns at once.
 */
@DisallowConcurrentExecution
public final class PullJob implements Job {
  static final String HOST = "host";

  @Override
  public void execute(JobExecutionContext context) throws JobExecutionException {
    Puller puller;
    try {
      puller = (Puller) context.getScheduler().getContext().get(Puller.CONTEXT_KEY);
    } catch (SchedulerException e) {
      throw new JobExecutionException(e);
    }
    if (puller != null) {
      puller.pullRun(context.getMergedJobDataMap().getString(HOST));
    }
  }
}
