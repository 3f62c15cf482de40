-- Images flagged by moderation over the last 30 days: one row per image and moderation label.
SELECT dt, owner, batch_id, job_id, filename, moderation_label
FROM jobs
CROSS JOIN UNNEST(moderation_names) AS t(moderation_label)
WHERE dt >= CAST(CAST(current_date - INTERVAL '30' DAY AS DATE) AS VARCHAR)
ORDER BY dt DESC, batch_id, filename, moderation_label
