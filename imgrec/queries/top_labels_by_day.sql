-- Top 10 labels of each day over the last 30 days: how many images carried each.
SELECT dt, label, images
FROM (
    SELECT
        dt,
        label,
        count(*) AS images,
        row_number() OVER (PARTITION BY dt ORDER BY count(*) DESC, label) AS place
    FROM jobs
    CROSS JOIN UNNEST(label_names) AS t(label)
    WHERE dt >= CAST(CAST(current_date - INTERVAL '30' DAY AS DATE) AS VARCHAR)
    GROUP BY dt, label
) ranked
WHERE place <= 10
ORDER BY dt DESC, images DESC, label
