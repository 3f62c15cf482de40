-- Faces per batch over the last 30 days: analysed images, faces found, images with at least one face.
SELECT
    batch_id,
    count(*) AS images,
    sum(coalesce(face_count, 0)) AS faces,
    sum(CASE WHEN face_count > 0 THEN 1 ELSE 0 END) AS images_with_faces
FROM jobs
WHERE dt >= CAST(CAST(current_date - INTERVAL '30' DAY AS DATE) AS VARCHAR)
    AND status IN ('SUCCEEDED', 'PARTIAL')
GROUP BY batch_id
ORDER BY faces DESC, batch_id
