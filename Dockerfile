# Gatehouse: one image for the control plane and the data planes.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production GATEHOUSE_ENV=production DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/build ./build
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/portal-templates ./portal-templates
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000 8000 8001 8005 8100
ENTRYPOINT ["node", "bin/gatehouse.mjs"]
CMD ["start"]
